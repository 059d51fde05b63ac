"""Foundation stack: every resource comes from the Pulumi.<stack>.yaml config."""

from polyinfra.foundation import run

run()
