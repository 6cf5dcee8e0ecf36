"""Deep scans over the S3 log archive (the batch analyzer's side of issue 7)."""
