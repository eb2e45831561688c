-- Leave room in each page of the rows the worker updates as it publishes (a post and its
-- targets change status two or three times in their life), so those updates can stay on the
-- same page as heap-only tuples: no new index entries, a fraction of the write work. Applies to
-- pages written from now on.
alter table postiz.posts set (fillfactor = 85);
alter table postiz.post_targets set (fillfactor = 85);
