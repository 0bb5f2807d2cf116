DROP INDEX user_profiles_location_idx;
DROP INDEX users_created_at_idx;
