"""The services both adapters share: composing clips on the job queue, the challenge rules, settings."""
