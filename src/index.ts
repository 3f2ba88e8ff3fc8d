// The bundle's entry point (ncc builds dist/index.js from this file): run the action once.
import { run } from './main';

void run();
