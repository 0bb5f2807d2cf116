-- Development users. Idempotent: running it again changes nothing.
-- The hashes are of the password "dev-password" (scrypt, as the sample backend stores them); development only.
INSERT INTO users (username, password_hash, email, email_verified) VALUES
  ('ada',   'scrypt$16384$8$1$ZGV2LXNhbHQtYWRh$KMs1YJq0f2bT3WvR3u3x3Q', 'ada@example.test',   true),
  ('grace', 'scrypt$16384$8$1$ZGV2LXNhbHQtZ3JhY2U$2wWc5h6Vb3rR0pZ9aLw1xA', 'grace@example.test', true),
  ('linus', 'scrypt$16384$8$1$ZGV2LXNhbHQtbGludXM$9vJq2mKc7tYp1sN4dQe8Zg', 'linus@example.test', false)
ON CONFLICT (username) DO NOTHING;
