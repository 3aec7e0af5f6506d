"""What every floor shares: the error shape and how plain Django views authenticate."""
