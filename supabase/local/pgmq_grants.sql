-- What Supabase grants on pgmq: the worker (service_role) may use every queue; API roles get
-- nothing (we never expose queues to browsers). Queues created later by migrations (as postgres)
-- inherit the same grants through default privileges.
grant usage on schema pgmq to postgres, service_role;
grant all on all tables in schema pgmq to postgres, service_role;
grant all on all sequences in schema pgmq to postgres, service_role;
revoke execute on all functions in schema pgmq from public;
grant execute on all functions in schema pgmq to postgres, service_role;
alter default privileges for role postgres in schema pgmq grant all on tables to service_role;
alter default privileges for role postgres in schema pgmq grant all on sequences to service_role;
