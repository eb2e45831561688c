-- Client review links: an admin shares one post, or the posts scheduled in a date range
-- (optionally only those on some accounts), with someone who has no account. The reviewer sees
-- the posts as each network would show them and approves, requests changes, rejects or comments,
-- giving a name; nothing else of the workspace is reachable with the link.
--
-- The token: 32 random bytes made by the API, shown once; only its SHA-256 is stored
-- (token_hash), so the table leaks no usable link. A link expires (default a week, at most 30
-- days after creation) and can be revoked; an unknown, expired or revoked token gets one answer
-- (PZ410, "This review link has expired or was withdrawn. Ask for a new one."), whichever it is.
--
-- Reviewers reach the data only through the service_ functions below, which take the raw token,
-- hash it and answer for the posts in scope; the API calls them as service_role, after its own
-- rate limit. They are not reachable through the Data API (postiz_private is not exposed) nor by
-- anon (the schema lint: no function of ours is anon's).
--
-- Decisions are the approval log's (postiz.approval_decisions) with decided_by null and the
-- link and the reviewer's typed name set, so the same triggers tell the author
-- (approval_decided), emit the webhook event and write the activity log, "via review link
-- <label>". How a client's decision counts against the approval policy:
--   - an approval is recorded and shown, and counts for no step: a step is satisfied by members
--     who qualify for it (postiz_private.qualifies_for_step is false for a null decider), so a
--     link can never be what lets a post go out;
--   - a rejection or a change request blocks the post exactly as a member's does (approval_state
--     reads every non-approval of the round), until it is edited; a post that was already
--     scheduled goes back to pending_approval (its schedule canceled by the existing trigger),
--     also when the workspace has no policy, so a client's "no" always stops the post;
--   - decisions are accepted on drafts, posts waiting for approval and scheduled posts (not on
--     posts that went out or were canceled), once per reviewer name per version of the post, on
--     the version the reviewer was shown, and not while a job of the post is running (a claimed
--     job goes out whatever the post's status says afterwards).
-- Comments are the post's comment thread (postiz.post_comments) with author_id null and the
-- reviewer's name and link set; the reviewer sees only the comments made through links to the
-- post, never the team's own discussion.

-- Tables ----------------------------------------------------------------------------------------

create table postiz.review_links (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  -- What the team calls it ("Acme, week 12"); shown to the reviewer and in the logs.
  label text not null check (char_length(btrim(label)) between 1 and 100),
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  -- Scope: one post, or the posts scheduled on range_start..range_end (days in the workspace's
  -- time zone, inclusive), optionally only those targeting one of social_account_ids.
  post_id uuid,
  range_start date,
  range_end date,
  social_account_ids uuid[] not null default '{}' check (cardinality(social_account_ids) <= 50),
  -- sha256 of the token's text; the token itself is never stored.
  token_hash bytea not null unique check (octet_length(token_hash) = 32),
  expires_at timestamptz not null default now() + interval '7 days',
  revoked_at timestamptz,
  revoked_by uuid references auth.users (id) on delete set null,
  last_used_at timestamptz,
  created_at timestamptz not null default now(),
  unique (id, workspace_id),
  check ((post_id is null) <> (range_start is null)),
  check ((range_start is null) = (range_end is null)),
  check (range_end >= range_start and range_end - range_start <= 92),
  check (post_id is null or cardinality(social_account_ids) = 0),
  check (expires_at > created_at and expires_at <= created_at + interval '30 days'),
  foreign key (workspace_id, post_id) references postiz.posts (workspace_id, id) on delete cascade
);
-- The list in settings: a workspace's links, newest first.
create index review_links_workspace_id_idx on postiz.review_links (workspace_id, created_at desc);
create index review_links_post_id_idx on postiz.review_links (post_id, workspace_id) where post_id is not null;
create index review_links_created_by_idx on postiz.review_links (created_by);
create index review_links_revoked_by_idx on postiz.review_links (revoked_by);

-- Decisions and comments made through a link: no user, the link and the name the reviewer typed.
-- A name is plain text: no control characters and no bidi embeddings, overrides or isolates
-- (U+202A-202E, U+2066-2069), which would make a name shown to the team read as something else.
alter table postiz.approval_decisions
  alter column decided_by drop not null,
  add column review_link_id uuid,
  add column reviewer_name text check (char_length(btrim(reviewer_name)) between 1 and 100)
    constraint approval_decisions_reviewer_name_plain
    check (reviewer_name !~ '[\x01-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]'),
  add constraint approval_decisions_review_link_fkey foreign key (review_link_id, workspace_id)
    references postiz.review_links (id, workspace_id) on delete set null (review_link_id),
  add constraint approval_decisions_reviewer_check check (reviewer_name is null or decided_by is null);
create index approval_decisions_review_link_id_idx on postiz.approval_decisions (review_link_id, workspace_id)
  where review_link_id is not null;
-- One decision per reviewer name per link per version of the post.
create unique index approval_decisions_one_per_reviewer_idx
  on postiz.approval_decisions (workspace_id, post_id, round, review_link_id, lower(btrim(reviewer_name)))
  where review_link_id is not null;

alter table postiz.post_comments
  add column review_link_id uuid,
  add column reviewer_name text check (char_length(btrim(reviewer_name)) between 1 and 100)
    constraint post_comments_reviewer_name_plain
    check (reviewer_name !~ '[\x01-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]'),
  add constraint post_comments_review_link_fkey foreign key (review_link_id, workspace_id)
    references postiz.review_links (id, workspace_id) on delete set null (review_link_id),
  add constraint post_comments_reviewer_check check (reviewer_name is null or author_id is null);
create index post_comments_review_link_id_idx on postiz.post_comments (review_link_id, workspace_id)
  where review_link_id is not null;

alter table postiz.activity_logs drop constraint activity_logs_actor_kind_check;
alter table postiz.activity_logs add constraint activity_logs_actor_kind_check
  check (actor_kind in ('user', 'system', 'review_link'));

-- Helpers ---------------------------------------------------------------------------------------

/*
 * The live link whose token is `token` (its SHA-256 looked up in the unique index), or raises
 * PZ410 with the one message for unknown, expired and revoked links. Records the use in the
 * same statement: the update locks the row, so a revoke and a decision serialise (a revoke
 * committed first makes this find nothing; one coming after waits for the decision's commit).
 */
create function postiz_private.live_review_link(token text)
returns postiz.review_links
language plpgsql
security definer
set search_path = ''
as $$
declare
  l postiz.review_links;
begin
  update postiz.review_links r set last_used_at = now()
  where r.token_hash = sha256(convert_to(coalesce(token, ''), 'UTF8'))
    and r.revoked_at is null and r.expires_at > now()
  returning * into l;
  if not found then
    raise exception 'This review link has expired or was withdrawn. Ask for a new one.' using errcode = 'PZ410';
  end if;
  return l;
end;
$$;

/*
 * The posts link `l` reaches: its post, or the workspace's posts (not canceled) scheduled in its
 * days in the workspace's zone, limited to its accounts when it names some. Cost: the
 * (workspace_id, scheduled_at) index over at most 93 days.
 */
create function postiz_private.review_link_post_ids(l postiz.review_links)
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select l.post_id where l.post_id is not null
  union all
  select p.id
  from postiz.workspaces w
  join postiz.posts p on p.workspace_id = w.id
  where l.post_id is null and w.id = l.workspace_id
    and p.scheduled_at >= (l.range_start::timestamp at time zone w.time_zone)
    and p.scheduled_at < ((l.range_end + 1)::timestamp at time zone w.time_zone)
    and p.status <> 'canceled'
    and (cardinality(l.social_account_ids) = 0 or exists (
      select 1 from postiz.post_targets t
      where t.workspace_id = p.workspace_id and t.post_id = p.id and t.status <> 'canceled'
        and t.social_account_id = any (l.social_account_ids)))
$$;

/*
 * Why reviewer `name` may not decide on post `post` through link `link` now, or null when they
 * may: the post is a draft, waiting for approval or scheduled, no job of it is running and no
 * target is publishing (a claimed job goes out whatever the post's status says afterwards, so
 * a "no" could not stop it), and this name has not decided on this version through this link.
 * service_review_link_decide locks the post's open jobs before this runs, so no claim slips
 * between this check and the decision.
 */
create function postiz_private.review_link_decision_refusal(ws uuid, post uuid, link uuid, name text)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  p record;
begin
  select x.status, x.approval_round into p from postiz.posts x where x.workspace_id = ws and x.id = post;
  if not found then
    return 'There is no such post in this review link';
  end if;
  if p.status not in ('draft', 'pending_approval', 'scheduled') then
    return format('This post can no longer be reviewed (it is %s)', replace(p.status::text, '_', ' '));
  end if;
  if exists (select 1 from postiz.post_targets t
             where t.workspace_id = ws and t.post_id = post
               and (t.status = 'publishing'
                    or exists (select 1 from postiz.queue_jobs j
                               where j.target_id = t.id and j.workspace_id = t.workspace_id and j.status = 'running'))) then
    return 'This post is being published now; it can no longer be stopped.';
  end if;
  if exists (select 1 from postiz.approval_decisions d
             where d.workspace_id = ws and d.post_id = post and d.round = p.approval_round
               and d.review_link_id = link and lower(btrim(d.reviewer_name)) = lower(btrim(name))) then
    return 'You have already reviewed this version of the post';
  end if;
  return null;
end;
$$;

/*
 * The reviewer-facing view of one post in scope of link `l`, with the decisions and comments
 * made through this link only (another link to the same post is another client's).
 */
create function postiz_private.review_link_post(l postiz.review_links, post uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'id', p.id,
    'status', p.status,
    'scheduled_at', p.scheduled_at,
    'content', p.content,
    'round', p.approval_round,
    -- Flags only: approval_state's `missing` quotes a member's blocking note, which is the
    -- team's own discussion.
    'approval', (select jsonb_build_object('required', s -> 'required', 'approved', s -> 'approved',
                                           'blocked', jsonb_typeof(s -> 'blocked') = 'object')
                 from postiz_private.approval_state(p.workspace_id, p.id) s),
    'may_decide', postiz_private.review_link_decision_refusal(p.workspace_id, p.id, l.id, '') is null,
    'targets', coalesce((
      select jsonb_agg(jsonb_build_object(
               'network', a.network, 'handle', a.handle, 'display_name', a.display_name,
               'avatar_url', a.avatar_url,
               'text', coalesce(v.text_override, p.content),
               'thread_items', coalesce(v.thread_items, '[]'::jsonb),
               'first_comment', v.first_comment) order by a.network, a.handle)
      from postiz.post_targets t
      join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
      left join postiz.post_variants v on v.workspace_id = t.workspace_id and v.post_id = t.post_id and v.network = a.network
      where t.workspace_id = p.workspace_id and t.post_id = p.id and t.status <> 'canceled'
        and (cardinality(l.social_account_ids) = 0 or t.social_account_id = any (l.social_account_ids))), '[]'::jsonb),
    'media', coalesce((
      select jsonb_agg(jsonb_build_object('id', m.id, 'mime_type', m.mime_type, 'alt_text', pm.alt_text,
                                          'path', m.path) order by pm.position)
      from postiz.post_media pm
      join postiz.media_assets m on m.workspace_id = pm.workspace_id and m.id = pm.media_id
      where pm.workspace_id = p.workspace_id and pm.post_id = p.id), '[]'::jsonb),
    'decisions', coalesce((
      select jsonb_agg(jsonb_build_object('decision', d.decision, 'note', d.note, 'reviewer_name', d.reviewer_name,
                                          'current', d.round = p.approval_round, 'created_at', d.created_at)
                       order by d.id)
      from postiz.approval_decisions d
      where d.workspace_id = p.workspace_id and d.post_id = p.id and d.review_link_id = l.id), '[]'::jsonb),
    'comments', coalesce((
      select jsonb_agg(jsonb_build_object('body', c.body, 'reviewer_name', c.reviewer_name, 'created_at', c.created_at)
                       order by c.created_at, c.id)
      from postiz.post_comments c
      where c.workspace_id = p.workspace_id and c.post_id = p.id and c.review_link_id = l.id), '[]'::jsonb))
  from postiz.posts p
  where p.workspace_id = l.workspace_id and p.id = post
$$;

-- Reviewer entry points (service_role: the API, after its rate limit) ----------------------------

/*
 * What the holder of `token` may see: the link (label, expiry, the workspace's name and zone,
 * the range) and its posts in time order. PZ410 for a dead token.
 */
create function postiz_private.service_review_link_posts(token text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  l postiz.review_links;
begin
  l := postiz_private.live_review_link(token);
  return jsonb_build_object(
    -- For the API (it signs media links per workspace); not shown to the reviewer.
    'workspace_id', l.workspace_id,
    'label', l.label,
    'expires_at', l.expires_at,
    'range_start', l.range_start,
    'range_end', l.range_end,
    'workspace_name', (select w.name from postiz.workspaces w where w.id = l.workspace_id),
    'time_zone', (select w.time_zone from postiz.workspaces w where w.id = l.workspace_id),
    'posts', coalesce((
      select jsonb_agg(postiz_private.review_link_post(l, x.id) order by p.scheduled_at nulls last, p.created_at)
      from postiz_private.review_link_post_ids(l) x(id)
      join postiz.posts p on p.workspace_id = l.workspace_id and p.id = x.id), '[]'::jsonb));
end;
$$;

/*
 * A reviewer's decision on post `post` through `token`: approved, rejected or changes_requested
 * (a note required for the last two), as `name`, on version `round` (the post's approval round
 * the page showed). Refused with PZ404 for a post outside the link's scope (the same answer as
 * for a post that does not exist), 55000 when the post changed since (another round), PZ403
 * when they may not decide now. Returns the post as service_review_link_posts shows it.
 *
 * Locks, in the worker's order: first the post's open jobs (the worker's claim and mark_sending
 * lock a job, then reach the post through its target's status), then the post. Holding the
 * jobs, no claim starts until this commits (a claim waiting here re-reads the job and finds it
 * canceled), and a claim that won before is seen as running, which refuses the decision.
 */
create function postiz_private.service_review_link_decide(token text, post uuid, decision text, note text, name text,
                                                          round integer)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  l postiz.review_links;
  d postiz.approval_decision;
  current_round integer;
begin
  l := postiz_private.live_review_link(token);
  if not exists (select 1 from postiz_private.review_link_post_ids(l) x(id) where x.id = post) then
    raise exception 'There is no such post in this review link' using errcode = 'PZ404';
  end if;
  if decision not in ('approved', 'rejected', 'changes_requested') then
    raise exception 'The decision must be approved, rejected or changes_requested' using errcode = '22023';
  end if;
  d := decision::postiz.approval_decision;
  perform 1 from postiz.queue_jobs j
  join postiz.post_targets t on t.id = j.target_id and t.workspace_id = j.workspace_id
  where t.workspace_id = l.workspace_id and t.post_id = post and j.completed_at is null
  order by j.id
  for update of j;
  select x.approval_round into current_round from postiz.posts x
  where x.workspace_id = l.workspace_id and x.id = post
  for no key update;
  if current_round is distinct from round then
    raise exception 'This post changed since you opened the page; reload to see the new version.' using errcode = '55000';
  end if;
  insert into postiz.approval_decisions (workspace_id, post_id, decision, note, decided_by, review_link_id, reviewer_name)
  values (l.workspace_id, post, d, nullif(btrim(note), ''), null, l.id, btrim(name));
  return postiz_private.review_link_post(l, post);
end;
$$;

/* A reviewer's comment on post `post` through `token`, as `name`; PZ404 outside the scope. */
create function postiz_private.service_review_link_comment(token text, post uuid, body text, name text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  l postiz.review_links;
begin
  l := postiz_private.live_review_link(token);
  if not exists (select 1 from postiz_private.review_link_post_ids(l) x(id) where x.id = post) then
    raise exception 'There is no such post in this review link' using errcode = 'PZ404';
  end if;
  insert into postiz.post_comments (workspace_id, post_id, author_id, body, review_link_id, reviewer_name)
  values (l.workspace_id, post, null, body, l.id, btrim(name));
  return postiz_private.review_link_post(l, post);
end;
$$;

-- Triggers --------------------------------------------------------------------------------------

/*
 * As in 20261203020000 for members; a decision through a review link (review_link_id set) is
 * checked with postiz_private.review_link_decision_refusal instead of the member rules, and a
 * rejection or change request through a link takes a scheduled post back to pending_approval.
 * Only the service_ functions can write review_link_id (no role has the column grant).
 */
create or replace function postiz_private.check_approval_decision()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  refusal text;
begin
  -- Serialise decisions on one post, so two reviewers cannot both fill the last slot of a step
  -- on a stale state, and an edit (which updates the row) cannot slip between check and insert.
  perform 1 from postiz.posts x where x.workspace_id = new.workspace_id and x.id = new.post_id for no key update;
  if new.review_link_id is not null then
    if new.decided_by is not null or new.reviewer_name is null then
      raise exception 'a decision through a review link has a reviewer name and no user' using errcode = '23514';
    end if;
    refusal := postiz_private.review_link_decision_refusal(new.workspace_id, new.post_id, new.review_link_id, new.reviewer_name);
  else
    -- Outsiders learn nothing about the post (RLS would refuse them after this trigger anyway).
    if not exists (select 1 from postiz.workspace_members m
                   where m.workspace_id = new.workspace_id and m.user_id = new.decided_by) then
      raise exception 'new row violates row-level security policy for table "approval_decisions"'
        using errcode = '42501';
    end if;
    refusal := postiz_private.decision_refusal(new.workspace_id, new.post_id, new.decided_by);
  end if;
  if refusal is not null then
    raise exception '%', refusal using errcode = 'PZ403';
  end if;
  new.round := (select x.approval_round from postiz.posts x where x.workspace_id = new.workspace_id and x.id = new.post_id);
  new.created_at := now();
  return new;
end;
$$;

/*
 * Revoking is the only change clients make, and it is final: revoked_at and revoked_by are set
 * here (now, the caller), and a revoked link stays revoked.
 */
create function postiz_private.revoke_review_link()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.revoked_at is not null then
    raise exception 'This review link was already withdrawn' using errcode = '55000';
  end if;
  new.revoked_at := now();
  new.revoked_by := (select auth.uid());
  return new;
end;
$$;

create trigger review_links_revoke before update of revoked_at, revoked_by on postiz.review_links
  for each row execute function postiz_private.revoke_review_link();

/* A client's "no" stops a scheduled post, policy or not (see the header). */
create function postiz_private.unschedule_on_review_link_refusal()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update postiz.posts p set status = 'pending_approval'
  where p.workspace_id = new.workspace_id and p.id = new.post_id and p.status = 'scheduled';
  return null;
end;
$$;

create trigger approval_decisions_unschedule_on_review_link_refusal after insert on postiz.approval_decisions
  for each row when (new.review_link_id is not null and new.decision <> 'approved')
  execute function postiz_private.unschedule_on_review_link_refusal();

/* "via review link <label>": the label of the link a decision or comment came through. */
create function postiz_private.via_review_link(ws uuid, link uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select 'via review link ' || coalesce((select r.label from postiz.review_links r where r.workspace_id = ws and r.id = link), '(deleted)')
$$;

/* As in 20261203020000; a decision through a review link is logged with its name and link. */
create or replace function postiz_private.log_approval_decision()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.reviewer_name is not null then
    insert into postiz.activity_logs (workspace_id, actor_id, actor_kind, action, entity_type, entity_id, details)
    values (new.workspace_id, null, 'review_link', 'approval.' || new.decision::text, 'post', new.post_id,
      jsonb_build_object('round', new.round, 'note', new.note, 'reviewer_name', new.reviewer_name,
                         'review_link_id', new.review_link_id,
                         'via', postiz_private.via_review_link(new.workspace_id, new.review_link_id)));
  else
    perform postiz_private.record_activity(new.workspace_id, 'approval.' || new.decision::text, 'post', new.post_id,
      jsonb_build_object('round', new.round, 'note', new.note));
  end if;
  return null;
end;
$$;

/* As in 20261204000000; the author's notification names a reviewer who came through a link. */
create or replace function postiz_private.notify_approval_decision()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  author uuid;
begin
  select p.author_id into author from postiz.posts p where p.workspace_id = new.workspace_id and p.id = new.post_id;
  if author is distinct from new.decided_by then
    perform postiz_private.notify(new.workspace_id, author, 'approval_decided', new.post_id, null,
      jsonb_strip_nulls(jsonb_build_object('decision', new.decision, 'note', new.note, 'decided_by', new.decided_by,
        'reviewer_name', new.reviewer_name,
        'via', case when new.reviewer_name is not null then postiz_private.via_review_link(new.workspace_id, new.review_link_id) end)));
  end if;
  if new.decision = 'approved' and new.reviewer_name is null then
    perform postiz_private.notify_reviewers(new.workspace_id, new.post_id);
  end if;
  return null;
end;
$$;

/* As in 20261206020000, with the reviewer of a link. */
create or replace function postiz_private.webhook_approval_decision()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform postiz_private.emit_webhook_event(new.workspace_id, 'post.approval_decided', null,
    jsonb_strip_nulls(jsonb_build_object('post_id', new.post_id, 'decision', new.decision, 'note', new.note,
                                         'decided_by', new.decided_by, 'round', new.round,
                                         'reviewer_name', new.reviewer_name, 'review_link_id', new.review_link_id)));
  return null;
end;
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.review_links from public, anon, authenticated, service_role;
grant select on table postiz.review_links to authenticated, service_role;
grant insert (id, workspace_id, label, post_id, range_start, range_end, social_account_ids, token_hash, expires_at)
  on table postiz.review_links to authenticated;
grant update (revoked_at, revoked_by) on table postiz.review_links to authenticated;
grant insert, update, delete on table postiz.review_links to service_role;

revoke all on function postiz_private.live_review_link(text) from public, anon, authenticated, service_role;
revoke all on function postiz_private.review_link_post_ids(postiz.review_links) from public, anon, authenticated, service_role;
revoke all on function postiz_private.review_link_decision_refusal(uuid, uuid, uuid, text) from public, anon, authenticated, service_role;
revoke all on function postiz_private.review_link_post(postiz.review_links, uuid) from public, anon, authenticated, service_role;
revoke all on function postiz_private.revoke_review_link() from public, anon, authenticated, service_role;
revoke all on function postiz_private.unschedule_on_review_link_refusal() from public, anon, authenticated, service_role;
revoke all on function postiz_private.via_review_link(uuid, uuid) from public, anon, authenticated, service_role;
revoke all on function postiz_private.service_review_link_posts(text) from public, anon, authenticated;
revoke all on function postiz_private.service_review_link_decide(text, uuid, text, text, text, integer) from public, anon, authenticated;
revoke all on function postiz_private.service_review_link_comment(text, uuid, text, text) from public, anon, authenticated;
grant execute on function postiz_private.service_review_link_posts(text) to service_role;
grant execute on function postiz_private.service_review_link_decide(text, uuid, text, text, text, integer) to service_role;
grant execute on function postiz_private.service_review_link_comment(text, uuid, text, text) to service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.review_links enable row level security;
alter table postiz.review_links force row level security;

create policy "Members can view their workspace's review links" on postiz.review_links
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Admins can create review links as themselves" on postiz.review_links
  for insert to authenticated
  with check (
    created_by = (select auth.uid())
    and workspace_id = any (array(select postiz_private.workspaces_with_role('admin')))
  );

create policy "Admins can revoke review links" on postiz.review_links
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));
