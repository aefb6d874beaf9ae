"""Many targets in one run: scheduling (parallel, canary first, on-error), one job per target, one report.

* :mod:`.results`: what one target's run came to (:class:`.results.TargetRun`) and the options of a run;
* :mod:`.schedule`: threads, the canary, ``--on-error``, stopping every target at a migration boundary;
* :mod:`.jobs`: what runs per target (check, apply, rollback, repair, verify): its own connection, the
  unchanged engine, its result as a :class:`.results.TargetRun`;
* :mod:`.report`: a line per target as it finishes, the table, one JSON document, the GitHub step summary;
* :mod:`.matrix`: the targets as a GitHub Actions ``strategy.matrix``, to run past one machine.
"""
