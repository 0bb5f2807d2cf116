-- A profile for each development user. Idempotent.
INSERT INTO user_profiles (user_id, name, location, bio)
SELECT u.id, p.name, p.location, p.bio
  FROM (VALUES
    ('ada',   'Ada Lovelace',   'London',   'Wrote the first program.'),
    ('grace', 'Grace Hopper',   'New York', 'Found the first bug.'),
    ('linus', 'Linus Torvalds', 'Portland', NULL)
  ) AS p (username, name, location, bio)
  JOIN users u ON u.username = p.username
ON CONFLICT (user_id) DO NOTHING;
