import { describe, expect, it } from "vitest";
import { operatorCommand } from "./operator.ts";

describe("tidal operator's defaults", () => {
  it("gives every listener of one pod a port of its own", () => {
    const defaults = Object.fromEntries(
      operatorCommand().options.map((option) => [option.long, option.defaultValue as unknown]),
    );
    const ports = [
      String(defaults["--metrics-server-port"]),
      String(defaults["--metrics-bind-address"]).split(":").at(-1),
      String(defaults["--http-scaler-port"]),
      String(defaults["--dashboard-bind-address"]).split(":").at(-1),
    ];
    expect(ports).toEqual(["6443", "8080", "9090", "8435"]);
    expect(new Set(ports).size).toBe(ports.length);
  });
});

describe("tidal operator's certificate rotation flags", () => {
  it("default to KEDA's lifetimes and names its Secret as the manifests do", () => {
    const defaults = Object.fromEntries(
      operatorCommand().options.map((option) => [option.long, option.defaultValue as unknown]),
    );
    expect(defaults).toMatchObject({
      "--cert-secret-name": "tidal-operator-certs",
      "--operator-service-name": "tidal-operator",
      "--validating-webhook-name": "tidal-admission",
      "--k8s-cluster-domain": "cluster.local",
      "--cert-validity": "8760h",
      "--ca-cert-validity": "87600h",
      "--cert-renew-before": "2160h",
    });
  });

  it("refuses a renewal margin as long as the validity, before connecting anywhere", async () => {
    const command = operatorCommand().exitOverride();
    const refused = await command
      .parseAsync(["--enable-cert-rotation", "--cert-validity", "60s", "--cert-renew-before", "60s"], {
        from: "user",
      })
      .then(
        () => undefined,
        (error: Error & { exitCode?: number }) => error,
      );
    expect(refused?.message).toBe(
      "certificate rotation: the renewal margin must be shorter than the certificate validity",
    );
    expect(refused?.exitCode).toBe(2);
  });
});
