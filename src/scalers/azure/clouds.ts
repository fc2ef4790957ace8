/**
 * The service endpoints of the Azure clouds that KEDA's Monitor, Log Analytics and App Insights
 * scalers know (the Azure SDK for Go's cloud configurations and KEDA's own App Insights table),
 * looked up by KEDA's upper-cased cloud names. AzureGermanCloud is not among them.
 */

export interface MonitoringCloud {
  /** Azure Resource Manager (Monitor metrics): endpoint and token audience. */
  resourceManager: { endpoint: string; audience: string };
  /** Log Analytics query API: endpoint (with /v1) and audience. */
  logAnalytics: { endpoint: string; audience: string };
  /** Application Insights API. */
  appInsights: string;
}

export const MONITORING_CLOUDS: Readonly<Record<string, MonitoringCloud>> = {
  AZUREPUBLICCLOUD: {
    resourceManager: {
      endpoint: "https://management.azure.com",
      audience: "https://management.core.windows.net/",
    },
    logAnalytics: { endpoint: "https://api.loganalytics.io/v1", audience: "https://api.loganalytics.io" },
    appInsights: "https://api.applicationinsights.io",
  },
  AZUREUSGOVERNMENTCLOUD: {
    resourceManager: {
      endpoint: "https://management.usgovcloudapi.net",
      audience: "https://management.core.usgovcloudapi.net",
    },
    logAnalytics: { endpoint: "https://api.loganalytics.us/v1", audience: "https://api.loganalytics.us" },
    appInsights: "https://api.applicationinsights.us",
  },
  AZURECHINACLOUD: {
    resourceManager: {
      endpoint: "https://management.chinacloudapi.cn",
      audience: "https://management.core.chinacloudapi.cn",
    },
    logAnalytics: {
      endpoint: "https://api.loganalytics.azure.cn/v1",
      audience: "https://api.loganalytics.azure.cn",
    },
    appInsights: "https://api.applicationinsights.azure.cn",
  },
};

export const PUBLIC_MONITORING_CLOUD = MONITORING_CLOUDS.AZUREPUBLICCLOUD as MonitoringCloud;

/** The cloud named `name` (case-insensitive; empty is the public cloud), or undefined. */
export function monitoringCloud(name: string | undefined): MonitoringCloud | undefined {
  if (!name) return PUBLIC_MONITORING_CLOUD;
  return MONITORING_CLOUDS[name.toUpperCase()];
}

export const isPrivateCloud = (name: string | undefined) => name?.toLowerCase() === "private";
