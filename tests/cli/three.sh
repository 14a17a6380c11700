#!/bin/sh
# Starts three leaking programs, one after the other: three processes to report.
"$1" a
"$1" a
"$1" b
