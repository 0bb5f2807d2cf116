-- One profile per user; deleting a user deletes its profile.
CREATE TABLE user_profiles (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name       text        NOT NULL,
  location   text,
  bio        text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT user_profiles_user_id_key UNIQUE (user_id)
);

-- Keep updated_at current on every change.
CREATE FUNCTION user_profiles_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TRIGGER user_profiles_touch
  BEFORE UPDATE ON user_profiles
  FOR EACH ROW EXECUTE FUNCTION user_profiles_touch();
