-- Several gateways may share one database, each with its own archive chain: a value names
-- the record that brought it by (chain, seq). Values stored before came in on chain 'main'.
ALTER TABLE observations ADD COLUMN packet_chain TEXT DEFAULT 'main';
