// Which gateway carries which device: bedside monitors (one device each) and relays (a vendor
// cloud carrying many devices of one site). Keys are bound to a site, so relays are per site.
import type { Patient } from '../types.ts';

export interface GatewayPlan {
  readonly name: string;
  readonly site: string;
  readonly style: 'bedside' | 'relay';
  readonly devices: string[];
}

export interface RoutingOptions {
  /** Patients (the first ones) on their own bedside gateway. */
  readonly bedside: number;
  /** Relays per site for everybody else; 0 puts everyone on a bedside gateway. */
  readonly relays: number;
}

export function planGateways(patients: readonly Patient[], options: RoutingOptions): { gateways: GatewayPlan[]; byDevice: Map<string, GatewayPlan> } {
  const gateways: GatewayPlan[] = [];
  const byDevice = new Map<string, GatewayPlan>();
  const relaysBySite = new Map<string, GatewayPlan[]>();
  const rr = new Map<string, number>();
  for (const p of patients) {
    let gw: GatewayPlan;
    if (p.index < options.bedside || options.relays <= 0) {
      gw = { name: `bed-${p.id}`, site: p.site, style: 'bedside', devices: [] };
      gateways.push(gw);
    } else {
      let relays = relaysBySite.get(p.site);
      if (!relays) {
        relays = Array.from({ length: options.relays }, (_, i) => ({ name: `relay-${p.site}-${i + 1}`, site: p.site, style: 'relay' as const, devices: [] }));
        relaysBySite.set(p.site, relays);
        gateways.push(...relays);
      }
      const i = rr.get(p.site) ?? 0;
      rr.set(p.site, i + 1);
      gw = relays[i % relays.length] as GatewayPlan;
    }
    gw.devices.push(p.device);
    byDevice.set(p.device, gw);
  }
  return { gateways, byDevice };
}
