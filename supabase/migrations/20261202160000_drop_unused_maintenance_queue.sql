-- The `maintenance` pgmq queue was created for background jobs that, in the end, need no
-- queue: each claims its own work in Postgres (analytics watches by lease, token refreshes by
-- row lock, expired uploads with skip locked; see worker/src/jobs/mod.rs). Nothing ever sent
-- to or read from it, so it goes. `publish` stays the one queue.

do $$
begin
  if exists (select 1 from pgmq.list_queues() where queue_name = 'maintenance') then
    perform pgmq.drop_queue('maintenance');
  end if;
end
$$;
