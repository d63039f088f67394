-- Each environment (TIDINGS_ENV: the live system, every test run and benchmark) has a database of
-- its own named tidings_<env>; the app user creates and drops them (same grant as scripts/infra/up.sh).
GRANT ALL PRIVILEGES ON `tidings%`.* TO 'tidings'@'%';
FLUSH PRIVILEGES;
