-- Several gateways may share one database, each with its own archive chain: a value names
-- the record that brought it by (chain, seq). Values stored before came in on chain 'main'
-- (the default fills them without rewriting the table; new rows always give it).
ALTER TABLE observations ADD COLUMN packet_chain TEXT COLLATE "C" DEFAULT 'main';
ALTER TABLE observations ALTER COLUMN packet_chain DROP DEFAULT;
