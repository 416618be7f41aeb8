"""The one read side: every figure about the plan's work, each rule written once and read by the
checklist page, the rollup and its exports, the school and ward reports and the year pages alike.
Nothing here writes; features write, then read back through here."""
