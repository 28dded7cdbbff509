-- What the person who acknowledged an alert did about it ("联系家属": reached the daughter, she is on
-- her way), written by the grid worker or the team with the acknowledgement.
ALTER TABLE alert ADD COLUMN acknowledge_note text CHECK (length(acknowledge_note) <= 1000);
