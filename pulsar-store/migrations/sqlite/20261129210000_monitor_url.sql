-- The monitor's URL beside its name, for listing by text. Monitors written before this
-- migration have '' until their next update.
ALTER TABLE monitors ADD COLUMN url TEXT NOT NULL DEFAULT '';
