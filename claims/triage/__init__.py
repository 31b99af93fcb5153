"""Triage: what happens to a received claim before a reviewer sees it (docs/queue.md).

- `normalise`: the claim's text as the search compares it (numbers written one way);
- `language`: the language detected in it, and which one the claim keeps;
- `priority`: its priority (0..100) and due time;
- `similarity`: the open or published claims it repeats (near-duplicates);
- `batch`: which received claims a triage takes together, and what it decides for each
  (queue it, merge it into an open claim, link it to a published one).

Everything here reads or decides; `claims.services` (`claim_triage`,
`claims_triage_batch`) validates and writes what was decided.
"""
