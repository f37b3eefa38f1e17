-- Journal rows name their archive record by (chain, seq); rows from before are on 'main'.
ALTER TABLE journal ADD COLUMN packet_chain TEXT DEFAULT 'main';
