import * as vscode from 'vscode';
import { PriceTable } from '../core/pricing/pricing';
import { generateApiKey } from '../core/server/apiKey';
import { ServerSupervisor } from '../core/server/supervisor';
import type { Settings } from './settings';
import type { UsageService } from './usageService';

const SECRET_KEY = 'tokenCost.apiKey';

/**
 * The extension's side of the heartbeat server: the key lives in VS Code's SecretStorage, the
 * settings decide whether and where it listens, and it runs only in the window that writes the
 * database (the supervisor follows role changes).
 */
export class HeartbeatServer implements vscode.Disposable {
  private supervisor: ServerSupervisor | undefined;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];
  private keyPromise: Promise<string> | undefined;
  private prices: PriceTable;

  constructor(
    private readonly usage: UsageService,
    private readonly settings: Settings,
    private readonly secrets: vscode.SecretStorage,
    private readonly storageDir: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly version: string,
  ) {
    this.prices = new PriceTable(settings.pricing);
    this.disposables.push(
      settings.onDidChange((e) => {
        this.prices = new PriceTable(settings.pricing);
        if (e.affectsConfiguration('tokenCost.server')) void this.supervisor?.reconfigure();
      }),
    );
  }

  /** Starts following the engine once the database is open. */
  async start(): Promise<void> {
    await this.usage.start();
    const engine = this.usage.engineForServer;
    // Deactivation may have come while the database opened: bind no port after it.
    if (!engine || this.supervisor || this.disposed) return;
    this.supervisor = new ServerSupervisor({
      engine,
      storageDir: this.storageDir,
      settings: () => ({ enabled: this.settings.serverEnabled, port: this.settings.serverPort }),
      apiKey: () => this.apiKey(),
      prices: () => this.prices,
      timeZone: () => this.settings.timeZone,
      budget: () => this.settings.budget,
      burnAlertPerHour: () => this.settings.burnRateAlertPerHour,
      thresholds: () => this.settings.alertThresholds,
      costRules: () => this.settings.costRules,
      version: this.version,
      portHint: 'Set tokenCost.server.port to a free port, or to 0 to pick any free port.',
      log: (m) => this.log.info(m),
      onProblem: (m) => {
        this.log.error(m);
        void vscode.window.showWarningMessage(`Token Cost: ${m}`, 'Open Settings').then((choice) => {
          if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'tokenCost.server');
        });
      },
    });
    await this.supervisor.reconfigure();
  }

  url(): string | undefined {
    return this.supervisor?.url();
  }

  /** The API key, created (32 random bytes) and stored in SecretStorage on first use. */
  apiKey(): Promise<string> {
    this.keyPromise ??= (async () => {
      const existing = await this.secrets.get(SECRET_KEY);
      if (existing) return existing;
      const key = generateApiKey();
      await this.secrets.store(SECRET_KEY, key);
      return key;
    })();
    return this.keyPromise;
  }

  /** Stops listening for settings and closes the server; the promise settles once it is closed. */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const d of this.disposables.splice(0)) d.dispose();
    await this.supervisor?.dispose();
  }
}
