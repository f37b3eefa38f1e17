-- An account can be disabled (refused at login, its sessions end) without being removed;
-- its session epoch grows with every password change or disabling, ending older sessions.
ALTER TABLE users ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
