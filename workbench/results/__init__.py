"""Results: exports, agreement, the dashboard's frames, annotation previews."""
