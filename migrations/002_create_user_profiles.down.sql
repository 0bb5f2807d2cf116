DROP TABLE user_profiles;
DROP FUNCTION user_profiles_touch();
