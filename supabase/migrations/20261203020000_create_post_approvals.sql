-- Approvals as a gate, not a label: a workspace (and optionally one social account, as an
-- override) has an approval policy of ordered steps; a post whose policies are not satisfied
-- cannot be `scheduled` by any role or path, and every review decision is an append-only row.
--
-- Which policies apply to a post: for each of its targets, the account's override if one exists,
-- else the workspace's (a post without targets: the workspace's). A policy with no steps means
-- "no approval needed" (so an override with no steps exempts an account). The post must satisfy
-- every distinct policy that applies.
--
-- A step is satisfied by `required` approvals, in the post's current round, from distinct members
-- who qualify for it (role at or above `min_role`, or listed in `members`), given after the
-- previous step was satisfied; one person's approval counts for one step of a policy. The author's
-- approval counts only where the policy allows self-approval. A rejection or a change request in
-- the current round blocks the post until it is edited.
--
-- Rounds: posts.approval_round is bumped by every edit of the post's content or metadata, its
-- per-network variants, its media and its targets (not by status changes). Decisions belong to a
-- round, so an edit resets the approvals; an approved post that was scheduled goes back to
-- pending_approval and its schedule is canceled (its queued jobs with it).
--
-- Who may bypass what: nobody, service_role included, can move a post to `scheduled` without its
-- approvals (the deferred gate trigger). The only exemption is the worker's own transition of a
-- recurring post from publishing back to scheduled after a run, which clients cannot make
-- (publishing posts are not theirs to update) and which does not change what was approved.
-- service_role may insert decisions, but only for a decider who qualifies (the same trigger as
-- for users) and never update or delete them.
--
-- Errors raised for people, with SQLSTATEs the API maps: PZ409 (the post needs approvals before
-- it can be scheduled) and PZ403 (this person may not make this decision now).

-- Enums -----------------------------------------------------------------------------------------

create type postiz.approval_decision as enum ('approved', 'rejected', 'changes_requested');

-- Tables ----------------------------------------------------------------------------------------

/*
 * Whether `steps` is a valid list of approval steps: at most 10 objects of
 * {"min_role": "viewer"|"editor"|"admin"|"owner", "members": [uuid, …] (at most 50), "required": 1..20},
 * each naming min_role or members (or both), no other keys.
 */
create function postiz_private.valid_approval_steps(steps jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select jsonb_typeof(steps) = 'array'
    and jsonb_array_length(steps) <= 10
    and coalesce(bool_and(
      jsonb_typeof(s) = 'object'
      and (s - 'min_role' - 'members' - 'required') = '{}'::jsonb
      and (s ? 'min_role' or s ? 'members')
      and (not s ? 'min_role' or s ->> 'min_role' in ('viewer', 'editor', 'admin', 'owner'))
      and (not s ? 'members' or (
        jsonb_typeof(s -> 'members') = 'array'
        and jsonb_array_length(s -> 'members') between 1 and 50
        and not jsonb_path_exists(s -> 'members',
          '$[*] ? (@.type() != "string" || !(@ like_regex "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"))')))
      and jsonb_typeof(s -> 'required') = 'number'
      and (s ->> 'required') ~ '^[0-9]+$'
      and (s ->> 'required')::integer between 1 and 20
    ), true)
  from jsonb_array_elements(case when jsonb_typeof(steps) = 'array' then steps else '[]'::jsonb end) as s
$$;

create table postiz.approval_policies (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  -- Null: the workspace's policy. Set: an override for posts that target this account.
  social_account_id uuid,
  -- Ordered steps (postiz_private.valid_approval_steps); empty = no approval needed.
  steps jsonb not null default '[]' check (postiz_private.valid_approval_steps(steps)),
  allow_self_approval boolean not null default false,
  updated_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique nulls not distinct (workspace_id, social_account_id),
  foreign key (workspace_id, social_account_id)
    references postiz.social_accounts (workspace_id, id) on delete cascade
);
create index approval_policies_social_account_id_idx on postiz.approval_policies (social_account_id, workspace_id)
  where social_account_id is not null;
create index approval_policies_updated_by_idx on postiz.approval_policies (updated_by);

alter table postiz.posts add column approval_round integer not null default 0;

-- Append-only: no role has update or delete on it (rows go with their post or workspace).
create table postiz.approval_decisions (
  id bigint generated always as identity primary key,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  post_id uuid not null,
  -- The post's approval_round when decided (set by the insert trigger).
  round integer not null,
  decision postiz.approval_decision not null,
  note text check (char_length(note) <= 5000),
  decided_by uuid not null default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  check (decision = 'approved' or char_length(btrim(coalesce(note, ''))) > 0),
  foreign key (workspace_id, post_id) references postiz.posts (workspace_id, id) on delete cascade
);
-- One decision per person per round; the state function reads a post's round through it.
create unique index approval_decisions_one_per_round_idx
  on postiz.approval_decisions (workspace_id, post_id, round, decided_by);
create index approval_decisions_decided_by_idx on postiz.approval_decisions (decided_by);

-- Helpers ---------------------------------------------------------------------------------------

/*
 * Whether user `uid` qualifies for approval step `step` in workspace `ws`: a member whose role is
 * at least the step's min_role, or a member named in its members. One index lookup.
 */
create function postiz_private.qualifies_for_step(ws uuid, uid uuid, step jsonb)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from postiz.workspace_members m
    where m.workspace_id = ws and m.user_id = uid
      and ((step ? 'min_role' and m.role >= (step ->> 'min_role')::postiz.workspace_role)
           or (step -> 'members') ? uid::text)
  )
$$;

/* "an admin", "an owner", "one of the named reviewers", "an editor or a named reviewer". */
create function postiz_private.approver_label(step jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when step ? 'min_role' and step ? 'members' then
      case step ->> 'min_role' when 'admin' then 'an admin' when 'owner' then 'an owner'
        when 'editor' then 'an editor' else 'a member' end || ' or a named reviewer'
    when step ? 'min_role' then
      case step ->> 'min_role' when 'admin' then 'an admin' when 'owner' then 'an owner'
        when 'editor' then 'an editor' else 'a member' end
    else 'one of the named reviewers'
  end
$$;

/*
 * The approval state of post `post` in workspace `ws`, as one JSON object:
 *   {"required": bool, "approved": bool, "round": int,
 *    "blocked": null | {"decision", "note", "decided_by", "decided_at"},
 *    "missing": null | "This post needs 1 more approval from an admin before it can be scheduled",
 *    "steps": [{"policy_id", "social_account_id", "position", "min_role", "members", "required",
 *               "approved_by": [uuid], "satisfied", "open"}]}
 * `open` marks the first unsatisfied step of each policy: the one a reviewer decides now.
 * Security definer (it reads members and decisions whatever the caller); callers check that the
 * caller may see the post (postiz.post_approval does). Cost: one lookup per target for the
 * policies, one index range over the post's decisions of the round per step; posts are reviewed
 * one at a time, so this is not written for sets.
 */
create function postiz_private.approval_state(ws uuid, post uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  p record;
  pol record;
  st record;
  used uuid[];
  after_id bigint;
  got uuid[];
  last_id bigint;
  steps jsonb := '[]';
  blocked jsonb;
  missing text;
  is_open boolean;
  any_policy boolean := false;
  all_ok boolean := true;
  remaining integer;
  n_steps integer;
begin
  select x.id, x.workspace_id, x.author_id, x.approval_round into p
  from postiz.posts x where x.workspace_id = ws and x.id = post;
  if not found then
    return null;
  end if;

  select jsonb_build_object('decision', d.decision, 'note', d.note, 'decided_by', d.decided_by, 'decided_at', d.created_at)
    into blocked
  from postiz.approval_decisions d
  where d.workspace_id = ws and d.post_id = post and d.round = p.approval_round and d.decision <> 'approved'
  order by d.id desc limit 1;

  for pol in
    select distinct on (ap.id) ap.id, ap.social_account_id, ap.steps, ap.allow_self_approval
    from (
      select coalesce(
               (select o.id from postiz.approval_policies o
                where o.workspace_id = ws and o.social_account_id = t.social_account_id),
               (select w.id from postiz.approval_policies w
                where w.workspace_id = ws and w.social_account_id is null)) as policy_id
      from postiz.post_targets t
      where t.workspace_id = ws and t.post_id = post and t.status <> 'canceled'
      union all
      select w.id from postiz.approval_policies w
      where w.workspace_id = ws and w.social_account_id is null
        and not exists (select 1 from postiz.post_targets t
                        where t.workspace_id = ws and t.post_id = post and t.status <> 'canceled')
    ) chosen
    join postiz.approval_policies ap on ap.id = chosen.policy_id
    where jsonb_array_length(ap.steps) > 0
    order by ap.id
  loop
    any_policy := true;
    used := '{}';
    after_id := 0;
    is_open := false;
    n_steps := jsonb_array_length(pol.steps);
    for st in select s.value as step, s.ordinality::integer as position
              from jsonb_array_elements(pol.steps) with ordinality as s
    loop
      -- The first `required` qualifying approvals after the previous step was satisfied.
      select coalesce(array_agg(q.decided_by order by q.id), '{}'), max(q.id) into got, last_id
      from (
        select d.id, d.decided_by
        from postiz.approval_decisions d
        where d.workspace_id = ws and d.post_id = post and d.round = p.approval_round
          and d.decision = 'approved' and d.id > after_id
          and d.decided_by <> all (used)
          and (pol.allow_self_approval or d.decided_by is distinct from p.author_id)
          and postiz_private.qualifies_for_step(ws, d.decided_by, st.step)
        order by d.id
        limit (st.step ->> 'required')::integer
      ) q;
      remaining := (st.step ->> 'required')::integer - coalesce(array_length(got, 1), 0);
      steps := steps || jsonb_build_object(
        'policy_id', pol.id, 'social_account_id', pol.social_account_id, 'position', st.position,
        'min_role', st.step -> 'min_role', 'members', coalesce(st.step -> 'members', '[]'::jsonb),
        'required', (st.step ->> 'required')::integer, 'approved_by', to_jsonb(got),
        'satisfied', remaining <= 0 and not is_open, 'open', remaining > 0 and not is_open);
      if is_open then
        continue;
      end if;
      if remaining > 0 then
        is_open := true;
        all_ok := false;
        if missing is null then
          missing := format('This post needs %s more %s from %s before it can be scheduled%s',
            remaining, case when remaining = 1 then 'approval' else 'approvals' end,
            postiz_private.approver_label(st.step),
            case when n_steps > 1 then format(' (step %s of %s)', st.position, n_steps) else '' end);
        end if;
      else
        used := used || got;
        after_id := last_id;
      end if;
    end loop;
  end loop;

  if any_policy and blocked is not null then
    all_ok := false;
    missing := case when blocked ->> 'decision' = 'rejected'
                 then 'This post was rejected by a reviewer ("' || (blocked ->> 'note') || '"); edit it to ask for a new review before it can be scheduled'
                 else 'A reviewer asked for changes ("' || (blocked ->> 'note') || '"); edit the post to ask for a new review before it can be scheduled'
               end;
  end if;

  return jsonb_build_object(
    'required', any_policy,
    'approved', not any_policy or all_ok,
    'round', p.approval_round,
    'blocked', case when any_policy then blocked end,
    'missing', case when any_policy and not all_ok then missing end,
    'steps', steps);
end;
$$;

/*
 * Whether the caller (auth.uid()) may decide on post `post` now: it waits for approval, needs
 * it, is not blocked, the caller has not decided in this round, is not its author (unless every
 * open step's policy allows self-approval), and qualifies for an open step. Returns null when
 * they may, else the reason, written for them. Used by the insert trigger and the review queue.
 */
create function postiz_private.decision_refusal(ws uuid, post uuid, uid uuid)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  p record;
  state jsonb;
  open_step jsonb;
  self_ok boolean;
  qualifies boolean := false;
begin
  select x.status, x.author_id, x.approval_round into p
  from postiz.posts x where x.workspace_id = ws and x.id = post;
  if not found or uid is null then
    return 'There is no such post to review';
  end if;
  if p.status <> 'pending_approval' then
    return format('Only a post waiting for approval can be reviewed (this one is %s)', replace(p.status::text, '_', ' '));
  end if;
  state := postiz_private.approval_state(ws, post);
  if not (state ->> 'required')::boolean then
    return 'This post needs no approval';
  end if;
  if state -> 'blocked' <> 'null'::jsonb then
    return 'This post was already sent back; it can be reviewed again once it is edited';
  end if;
  if (state ->> 'approved')::boolean then
    return 'This post is already approved';
  end if;
  if exists (select 1 from postiz.approval_decisions d
             where d.workspace_id = ws and d.post_id = post and d.round = p.approval_round and d.decided_by = uid) then
    return 'You have already reviewed this version of the post';
  end if;
  for open_step in select s from jsonb_array_elements(state -> 'steps') s where (s ->> 'open')::boolean loop
    select ap.allow_self_approval into self_ok from postiz.approval_policies ap
    where ap.id = (open_step ->> 'policy_id')::uuid;
    if (uid is distinct from p.author_id or self_ok)
       and postiz_private.qualifies_for_step(ws, uid,
             jsonb_strip_nulls(jsonb_build_object('min_role', open_step -> 'min_role',
               'members', case when jsonb_array_length(open_step -> 'members') > 0 then open_step -> 'members' end))) then
      qualifies := true;
    end if;
  end loop;
  if qualifies then
    return null;
  end if;
  if uid = p.author_id then
    return 'Authors cannot approve their own posts in this workspace';
  end if;
  select s into open_step from jsonb_array_elements(state -> 'steps') s where (s ->> 'open')::boolean limit 1;
  return format('This step needs a decision from %s',
    postiz_private.approver_label(jsonb_strip_nulls(jsonb_build_object('min_role', open_step -> 'min_role',
      'members', case when jsonb_array_length(open_step -> 'members') > 0 then open_step -> 'members' end))));
end;
$$;

/*
 * The approval state of a post the caller can see (postiz_private.approval_state), plus what the
 * caller may do: "may_decide" and, when not, "refusal" (postiz_private.decision_refusal). Null
 * when the post does not exist or the caller is not a member of its workspace. Security definer
 * (it reads every member's decisions and roles), so it checks membership itself.
 */
create function postiz_private.post_approval_for_caller(ws uuid, post uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  state jsonb;
  refusal text;
begin
  if not (current_user = 'service_role' or postiz_private.has_workspace_role(ws, 'viewer')) then
    return null;
  end if;
  state := postiz_private.approval_state(ws, post);
  if state is null then
    return null;
  end if;
  refusal := postiz_private.decision_refusal(ws, post, (select auth.uid()));
  return state || jsonb_build_object('may_decide', refusal is null, 'refusal', refusal);
end;
$$;

/*
 * The Data API entry point for a post's approval state and what the caller may decide (see
 * postiz_private.post_approval_for_caller); what the API and hosts read.
 */
create function postiz.post_approval(ws uuid, post uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select postiz_private.post_approval_for_caller(ws, post)
$$;

-- Triggers --------------------------------------------------------------------------------------

create trigger approval_policies_touch_updated_at before update on postiz.approval_policies
  for each row execute function postiz_private.touch_updated_at();

/*
 * A decision is checked against the post's current state whoever inserts it (service_role too):
 * the round is the post's, the time is now, and the decider must be allowed to decide now
 * (postiz_private.decision_refusal). Refusals raise PZ403 with the reason.
 */
create function postiz_private.check_approval_decision()
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
  -- Outsiders learn nothing about the post (RLS would refuse them after this trigger anyway).
  if not exists (select 1 from postiz.workspace_members m
                 where m.workspace_id = new.workspace_id and m.user_id = new.decided_by) then
    raise exception 'new row violates row-level security policy for table "approval_decisions"'
      using errcode = '42501';
  end if;
  refusal := postiz_private.decision_refusal(new.workspace_id, new.post_id, new.decided_by);
  if refusal is not null then
    raise exception '%', refusal using errcode = 'PZ403';
  end if;
  new.round := (select x.approval_round from postiz.posts x where x.workspace_id = new.workspace_id and x.id = new.post_id);
  new.created_at := now();
  return new;
end;
$$;

create trigger approval_decisions_check before insert on postiz.approval_decisions
  for each row execute function postiz_private.check_approval_decision();

/*
 * Edits reset approvals: content or metadata changes bump the round. A bumped round (here or from
 * a child table) takes a post that was scheduled (or failed, which a recurring schedule would
 * retry) and had approvals back to pending_approval when it needs approval.
 */
create function postiz_private.reset_post_approvals()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if (new.content, new.metadata) is distinct from (old.content, old.metadata) then
    new.approval_round := old.approval_round + 1;
  end if;
  if new.approval_round <> old.approval_round and new.status in ('scheduled', 'failed')
     and exists (select 1 from postiz.approval_decisions d
                 where d.workspace_id = old.workspace_id and d.post_id = old.id and d.round = old.approval_round)
     and (postiz_private.approval_state(new.workspace_id, new.id) ->> 'required')::boolean then
    new.status := 'pending_approval';
  end if;
  return new;
end;
$$;

create trigger posts_reset_approvals before update on postiz.posts
  for each row execute function postiz_private.reset_post_approvals();

/* Variants, media and targets are part of what was approved: changing them bumps the round. */
create function postiz_private.bump_approval_round()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    update postiz.posts set approval_round = approval_round + 1 where workspace_id = old.workspace_id and id = old.post_id;
  else
    update postiz.posts set approval_round = approval_round + 1 where workspace_id = new.workspace_id and id = new.post_id;
  end if;
  return null;
end;
$$;

create trigger post_variants_bump_approval_round after insert or update or delete on postiz.post_variants
  for each row execute function postiz_private.bump_approval_round();
create trigger post_media_bump_approval_round after insert or update or delete on postiz.post_media
  for each row execute function postiz_private.bump_approval_round();
create trigger post_targets_bump_approval_round after insert or delete on postiz.post_targets
  for each row execute function postiz_private.bump_approval_round();

/*
 * A post taken back from scheduled (or failed) to pending_approval, by a person or by a reset,
 * must not go out on its old schedule: its own schedules are canceled, which (revision trigger)
 * cancels its queued jobs and puts queued targets back to pending. Scheduling it again (the API's
 * status route) re-arms the schedule.
 */
create function postiz_private.cancel_schedules_awaiting_approval()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update postiz.schedules s set status = 'canceled'
  where s.workspace_id = new.workspace_id and s.post_id = new.id and s.status in ('pending', 'queued');
  return null;
end;
$$;

-- Not `update of status`: a reset sets the status in a before trigger, outside the SET list.
create trigger posts_cancel_schedules_awaiting_approval after update on postiz.posts
  for each row when (old.status in ('scheduled', 'failed') and new.status = 'pending_approval')
  execute function postiz_private.cancel_schedules_awaiting_approval();

/*
 * The gate. Deferred to commit, so a post created as scheduled is judged with the targets added
 * after it in the same transaction (they decide which policies apply). Fires for every role; the
 * one exemption is the worker's publishing -> scheduled of a recurring post after a run.
 * Raises PZ409 with what is missing.
 */
create function postiz_private.enforce_approval_gate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  ws uuid;
  pid uuid;
  state jsonb;
begin
  if tg_table_name = 'posts' then
    if tg_op = 'UPDATE' and old.status = 'publishing' then
      return null;
    end if;
    ws := new.workspace_id;
    pid := new.id;
  elsif tg_op = 'DELETE' then
    ws := old.workspace_id;
    pid := old.post_id;
  else
    ws := new.workspace_id;
    pid := new.post_id;
  end if;
  if not exists (select 1 from postiz.posts x where x.workspace_id = ws and x.id = pid and x.status = 'scheduled') then
    return null;
  end if;
  state := postiz_private.approval_state(ws, pid);
  if not (state ->> 'approved')::boolean then
    raise exception '%', state ->> 'missing'
      using errcode = 'PZ409', hint = 'Ask a reviewer to approve it, or save it as pending approval.';
  end if;
  return null;
end;
$$;

create constraint trigger posts_approval_gate after insert or update of status, approval_round on postiz.posts
  deferrable initially deferred
  for each row when (new.status = 'scheduled')
  execute function postiz_private.enforce_approval_gate();
create constraint trigger post_targets_approval_gate after insert or delete on postiz.post_targets
  deferrable initially deferred
  for each row execute function postiz_private.enforce_approval_gate();

/*
 * A policy made stricter applies to posts already scheduled: those it does not approve go back to
 * pending_approval (and their schedules are canceled by the trigger above). Statement level; a
 * policy edit re-checks the scheduled posts of its workspace once.
 */
create function postiz_private.recheck_scheduled_posts()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update postiz.posts p set status = 'pending_approval'
  where p.workspace_id in (select c.workspace_id from changed c)
    and p.status = 'scheduled'
    and not (postiz_private.approval_state(p.workspace_id, p.id) ->> 'approved')::boolean;
  return null;
end;
$$;

create trigger approval_policies_recheck_insert after insert on postiz.approval_policies
  referencing new table as changed
  for each statement execute function postiz_private.recheck_scheduled_posts();
create trigger approval_policies_recheck_update after update on postiz.approval_policies
  referencing new table as changed
  for each statement execute function postiz_private.recheck_scheduled_posts();
-- Removing an account's override puts its posts under the workspace's policy.
create trigger approval_policies_recheck_delete after delete on postiz.approval_policies
  referencing old table as changed
  for each statement execute function postiz_private.recheck_scheduled_posts();

/* Decisions are logged in the activity log too (approval.approved, .rejected, .changes_requested). */
create function postiz_private.log_approval_decision()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform postiz_private.record_activity(new.workspace_id, 'approval.' || new.decision::text, 'post', new.post_id,
    jsonb_build_object('round', new.round, 'note', new.note));
  return null;
end;
$$;

create trigger approval_decisions_log_activity after insert on postiz.approval_decisions
  for each row execute function postiz_private.log_approval_decision();

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.approval_policies, postiz.approval_decisions from public, anon, authenticated, service_role;
grant select, delete on table postiz.approval_policies to authenticated;
grant insert (id, workspace_id, social_account_id, steps, allow_self_approval) on table postiz.approval_policies to authenticated;
grant update (steps, allow_self_approval) on table postiz.approval_policies to authenticated;
grant select, insert, update, delete on table postiz.approval_policies to service_role;

grant select on table postiz.approval_decisions to authenticated, service_role;
-- decided_by too: the insert policy holds it to the caller's own id.
grant insert (workspace_id, post_id, decision, note, decided_by) on table postiz.approval_decisions to authenticated;
grant insert (workspace_id, post_id, decision, note, decided_by) on table postiz.approval_decisions to service_role;

revoke all on function postiz_private.valid_approval_steps(jsonb) from public, anon;
-- The policies' check constraint calls it as the writing role.
grant execute on function postiz_private.valid_approval_steps(jsonb) to authenticated, service_role;
revoke all on function postiz_private.qualifies_for_step(uuid, uuid, jsonb) from public, anon, authenticated, service_role;
revoke all on function postiz_private.approver_label(jsonb) from public, anon;
revoke all on function postiz_private.approval_state(uuid, uuid) from public, anon, authenticated, service_role;
revoke all on function postiz_private.decision_refusal(uuid, uuid, uuid) from public, anon, authenticated, service_role;
revoke all on function postiz_private.check_approval_decision() from public, anon, authenticated, service_role;
revoke all on function postiz_private.reset_post_approvals() from public, anon, authenticated, service_role;
revoke all on function postiz_private.bump_approval_round() from public, anon, authenticated, service_role;
revoke all on function postiz_private.cancel_schedules_awaiting_approval() from public, anon, authenticated, service_role;
revoke all on function postiz_private.enforce_approval_gate() from public, anon, authenticated, service_role;
revoke all on function postiz_private.recheck_scheduled_posts() from public, anon, authenticated, service_role;
revoke all on function postiz_private.log_approval_decision() from public, anon, authenticated, service_role;
revoke all on function postiz_private.post_approval_for_caller(uuid, uuid) from public, anon;
revoke all on function postiz.post_approval(uuid, uuid) from public, anon;
grant execute on function postiz_private.post_approval_for_caller(uuid, uuid) to authenticated, service_role;
grant execute on function postiz.post_approval(uuid, uuid) to authenticated, service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.approval_policies enable row level security;
alter table postiz.approval_policies force row level security;
alter table postiz.approval_decisions enable row level security;
alter table postiz.approval_decisions force row level security;

create policy "Members can view their workspace's approval policies" on postiz.approval_policies
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Admins can create approval policies" on postiz.approval_policies
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can edit approval policies" on postiz.approval_policies
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can remove approval policies" on postiz.approval_policies
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Members can view their workspace's approval decisions" on postiz.approval_decisions
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

-- Who may decide is the trigger's question (a named reviewer may be a viewer); the policy makes
-- sure people decide as themselves, in a workspace they belong to.
create policy "Members decide as themselves" on postiz.approval_decisions
  for insert to authenticated
  with check (
    decided_by = (select auth.uid())
    and workspace_id = any (array(select postiz_private.workspaces_with_role('viewer')))
  );
