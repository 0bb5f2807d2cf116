-- Email addresses: unique regardless of case, unverified until confirmed.
ALTER TABLE users
  ADD COLUMN email          text,
  ADD COLUMN email_verified boolean NOT NULL DEFAULT false;

CREATE UNIQUE INDEX users_email_key ON users (lower(email));
