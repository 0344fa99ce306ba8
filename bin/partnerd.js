#!/usr/bin/env node
// Production entry: the compiled CLI (npm run build). In a checkout use `npm run partnerd -- <command>`.
import '../dist/cli/main.js';
