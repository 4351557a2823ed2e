-- PLACEHOLDER, to be deleted when branch rec-trash is merged: migration 0008 belongs to
-- branch rec-access (the recordings' access log), and migrations must be numbered without
-- gaps, so this empty one stands in for it until then so that 0009 loads on its own.
SELECT 1;
