"""Ship a release to servers over SSH, switch atomically, check health, roll back when unhealthy."""
