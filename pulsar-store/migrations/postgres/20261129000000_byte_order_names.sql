-- Names sort and compare byte by byte, as they do on SQLite, whatever the database's locale:
-- listings by name, and their cursors, need no COLLATE clause of their own.
ALTER TABLE monitors ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE notification_channels ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE host_samples ALTER COLUMN hostname TYPE TEXT COLLATE "C";
ALTER TABLE host_rollups ALTER COLUMN hostname TYPE TEXT COLLATE "C";
