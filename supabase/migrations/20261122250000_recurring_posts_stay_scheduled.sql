-- A recurring post is not "done" after its first run: it stays scheduled (editable, cancelable)
-- while its recurring schedule is pending. Evergreen pools are schedules over a tag, so their
-- posts were never locked by this.
create or replace function postiz_private.derive_post_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  derived postiz.post_status;
begin
  if new.status = 'publishing' then
    update postiz.posts p set status = 'publishing'
    where p.id = new.post_id and p.workspace_id = new.workspace_id and p.status <> 'publishing';
    return null;
  end if;
  -- Serialise concurrent target updates of one post: without the lock, two workers finishing
  -- two targets at once each see the other still publishing, and the post stays "publishing".
  -- The aggregate below runs after the lock is granted, so it sees the other's commit.
  perform 1 from postiz.posts p where p.id = new.post_id and p.workspace_id = new.workspace_id for update;
  select case
           when bool_or(t.status = 'publishing') then 'publishing'
           when bool_and(t.status in ('published', 'canceled')) and bool_or(t.status = 'published') then 'published'
           when bool_or(t.status in ('failed', 'unconfirmed')) and not bool_or(t.status in ('pending', 'queued', 'publishing')) then 'failed'
           else null
         end
    into derived
  from postiz.post_targets t
  where t.post_id = new.post_id and t.workspace_id = new.workspace_id;
  -- A post that keeps recurring (a pending recurring schedule) stays scheduled after each run,
  -- so its author can still edit or stop it; published_at records the latest run.
  if derived = 'published' and exists (
    select 1 from postiz.schedules s
    where s.workspace_id = new.workspace_id and s.post_id = new.post_id and s.kind = 'recurring' and s.status = 'pending'
  ) then
    update postiz.posts p set published_at = now()
    where p.id = new.post_id and p.workspace_id = new.workspace_id;
    derived := 'scheduled';
  end if;
  if derived is not null then
    update postiz.posts p
    set status = derived,
        published_at = case when derived = 'published' then coalesce(p.published_at, now()) else p.published_at end
    where p.id = new.post_id and p.workspace_id = new.workspace_id and p.status is distinct from derived;
  end if;
  return null;
end;
$$;
