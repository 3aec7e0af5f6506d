"""The park editor's domain: changesets that hold edits until an officer approves them, and the
topology checks every save runs in PostGIS (floor 4: reads layers, policy, audit, jobs)."""
