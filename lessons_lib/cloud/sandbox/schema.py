"""The part of RunPod's GraphQL API that runpod-python 1.12 uses for pods and GPUs, as SDL.

Field names follow https://graphql-spec.runpod.io and the SDK's own queries
(https://github.com/runpod/runpod-python/tree/main/runpod/api). Kept as a Python
string so it ships with the package without package-data rules.
"""

from __future__ import annotations

SDL = """
scalar Void

enum CloudTypeEnum { ALL SECURE COMMUNITY }

input EnvironmentVariableInput { key: String! value: String }

input PodFindAndDeployOnDemandInput {
  name: String imageName: String cloudType: CloudTypeEnum startSsh: Boolean gpuTypeId: String
  supportPublicIp: Boolean gpuCount: Int volumeInGb: Float minVcpuCount: Int minMemoryInGb: Int
  allowedCudaVersions: [String] dataCenterId: String dockerArgs: String countryCode: String
  containerDiskInGb: Int ports: String volumeMountPath: String env: [EnvironmentVariableInput]
  templateId: String networkVolumeId: String minDownload: Int minUpload: Int instanceId: String
  deployCost: Float
}

input DeployCpuPodInput {
  name: String imageName: String cloudType: CloudTypeEnum startSsh: Boolean instanceId: String
  dataCenterId: String dockerArgs: String countryCode: String containerDiskInGb: Int ports: String
  volumeMountPath: String env: [EnvironmentVariableInput] templateId: String networkVolumeId: String
  minDownload: Int minUpload: Int
}

input PodStopInput { podId: String! incrementVersion: Boolean }
input PodResumeInput { podId: String! gpuCount: Int }
input PodTerminateInput { podId: String! }
input PodFilter { podId: String! }
input GpuTypeFilter { id: String ids: [String] }
input GpuLowestPriceInput {
  gpuCount: Int secureCloud: Boolean minDisk: Int minMemoryInGb: Int minVcpuCount: Int
  dataCenterId: String countryCode: String
}

type GpuLowestPrice {
  minimumBidPrice: Float uninterruptablePrice: Float minVcpu: Float minMemory: Float
  stockStatus: String compliance: [String] maxUnreservedGpuCount: Int availableGpuCounts: [Int]
}

type GpuType {
  id: String displayName: String manufacturer: String memoryInGb: Int cudaCores: Int
  maxGpuCount: Int secureCloud: Boolean communityCloud: Boolean securePrice: Float
  communityPrice: Float secureSpotPrice: Float communitySpotPrice: Float oneWeekPrice: Float
  oneMonthPrice: Float threeMonthPrice: Float sixMonthPrice: Float
  lowestPrice(input: GpuLowestPriceInput): GpuLowestPrice
}

type Port { ip: String isIpPublic: Boolean privatePort: Int publicPort: Int type: String }
type PodRuntime { uptimeInSeconds: Int ports: [Port] }
type PodMachine { podHostId: String gpuDisplayName: String }

type Pod {
  id: String name: String imageName: String env: [String] machineId: String machine: PodMachine
  desiredStatus: String containerDiskInGb: Int costPerHr: Float dockerArgs: String dockerId: String
  gpuCount: Int lastStatusChange: String memoryInGb: Float podType: String port: Int ports: String
  uptimeSeconds: Int vcpuCount: Float volumeInGb: Float volumeMountPath: String runtime: PodRuntime
}

type NetworkVolume { id: String name: String size: Int dataCenterId: String }

type User {
  id: String pubKey: String pods: [Pod] networkVolumes: [NetworkVolume]
  currentSpendPerHr: Float clientBalance: Float spendLimit: Int
}

type Query {
  gpuTypes(input: GpuTypeFilter): [GpuType]
  pod(input: PodFilter): Pod
  myself: User
}

type Mutation {
  podFindAndDeployOnDemand(input: PodFindAndDeployOnDemandInput): Pod
  deployCpuPod(input: DeployCpuPodInput): Pod
  podStop(input: PodStopInput!): Pod
  podResume(input: PodResumeInput!): Pod
  podTerminate(input: PodTerminateInput!): Void
}
"""
