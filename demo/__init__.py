"""The demo desk `make run` loads: claims from the seed article in ../shared/fixtures/,
their claimants, evidence and verdicts, and staff users to try every role with. It sits
above every other app and is never needed by a deployment."""
