/**
 * Messaging with the extension host: typed requests (src/protocol.ts WebviewMessage) with request
 * ids, and replies dispatched by type. A reply to an older query is dropped once a newer one is on
 * its way; the refresh button's pending request is tracked here.
 */
import type { DashboardFilter, DashboardData, HostMessage, SidebarData, TeamData, WebviewMessage } from '../src/protocol';

/** VS Code's webview API (acquireVsCodeApi()), as far as this page uses it. */
export interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export interface ReplyHandlers {
  data?(d: DashboardData): void;
  sidebar?(d: SidebarData): void;
  team?(t: TeamData): void;
  busy?(busy: boolean): void;
  error?(message: string): void;
  /** The refresh asked for has been answered (data or error). */
  refreshed?(): void;
  /** A query was sent and is waiting for its answer. */
  asked?(): void;
}

export class HostConnection {
  private nextRequestId = 1;
  private latest = 0;
  private pendingRefresh: number | undefined;

  constructor(
    private readonly api: VsCodeApi,
    private readonly on: ReplyHandlers,
  ) {}

  private post(message: WebviewMessage): void {
    this.api.postMessage(message);
  }

  ready(filter: DashboardFilter): void {
    this.post({ type: 'ready', filter });
  }

  query(filter: DashboardFilter): void {
    this.latest = this.nextRequestId++;
    this.on.asked?.();
    this.post({ type: 'query', requestId: this.latest, filter });
  }

  /** Rescans now; false when a refresh is already on its way. */
  refresh(): boolean {
    if (this.pendingRefresh !== undefined) return false;
    this.pendingRefresh = this.nextRequestId++;
    this.latest = this.pendingRefresh;
    this.post({ type: 'refresh', requestId: this.pendingRefresh });
    return true;
  }

  get refreshing(): boolean {
    return this.pendingRefresh !== undefined;
  }

  exportRequests(format: 'csv' | 'json', filter: DashboardFilter): void {
    this.post({ type: 'export', format, filter });
  }

  command(command: Extract<WebviewMessage, { type: 'command' }>['command']): void {
    this.post({ type: 'command', command });
  }

  /** Dispatches one message from the host. */
  receive(msg: HostMessage): void {
    switch (msg.type) {
      case 'data':
      case 'sidebar':
        this.settleRefresh(msg.requestId);
        // An answer to an older query is stale once a newer one is on its way.
        if (msg.requestId !== undefined && msg.requestId < this.latest) return;
        if (msg.type === 'data') this.on.data?.(msg.data);
        else this.on.sidebar?.(msg.data);
        break;
      case 'team':
        this.on.team?.(msg.team);
        break;
      case 'busy':
        this.on.busy?.(msg.busy);
        break;
      case 'error':
        this.settleRefresh(msg.requestId);
        this.on.error?.(msg.message);
        break;
    }
  }

  private settleRefresh(requestId: number | undefined): void {
    if (requestId !== undefined && requestId === this.pendingRefresh) {
      this.pendingRefresh = undefined;
      this.on.refreshed?.();
    }
  }
}
