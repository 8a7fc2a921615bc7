/**
 * The webview's entry point, and its only module with side effects: it registers the web
 * components, builds the page the host asked for (`<main id="app" data-view="panel|sidebar">`),
 * connects it to the host's messages, starts the "Updated … ago" clock and says `ready`.
 * Every section (sections/*.ts) is built by a function called from here.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { HostMessage, ViewKind } from '../src/protocol';
import type { VsCodeApi } from './host';
import { createPanel } from './panel';
import { createSidebar } from './sidebar';
import { PageState, savedFilter } from './state';

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;
const view: ViewKind = app.dataset.view === 'sidebar' ? 'sidebar' : 'panel';
const state = new PageState(savedFilter(api.getState()), (s) => api.setState(s));
const page = view === 'panel' ? createPanel(app, state, api) : createSidebar(app, state, api);
window.addEventListener('message', (event: MessageEvent<HostMessage>) => page.host.receive(event.data));
setInterval(page.tick, 1000);
page.host.ready(state.filter);
