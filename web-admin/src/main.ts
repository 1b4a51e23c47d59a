/** Entry point of the instructor panel (built by Vite into web-admin/dist, served at /admin/). */
import './elements/cm-app.ts';
import { boot } from './sync.ts';

void boot();
