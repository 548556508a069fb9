"""Publishing the summary where the team reviews the change (the comment bot)."""
