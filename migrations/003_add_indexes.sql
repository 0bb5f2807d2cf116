-- Lookups the backend makes: newest users first, profiles by location.
CREATE INDEX users_created_at_idx ON users (created_at DESC);
CREATE INDEX user_profiles_location_idx ON user_profiles (lower(location)) WHERE location IS NOT NULL;
