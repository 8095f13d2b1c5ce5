"""Pure rules of the model card review workflow and the approval gate: no AWS calls, only decisions."""
