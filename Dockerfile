# The gpt1 image. CUDA by default (TorchSharp-cuda-linux ships libtorch with the CUDA, cuBLAS and
# cuDNN libraries it needs; the NVIDIA driver comes from the node via the NVIDIA container toolkit).
#   docker build -t gpt1cluster .                               # CUDA
#   docker build -t gpt1cluster --build-arg TORCH_BACKEND=cpu . # CPU only
# The image runs a silo by default (flags or GPT1_* variables, see docs/cluster.md):
#   docker run gpt1cluster --membership redis --redis redis:6379 --devices cuda*8
# and the client with --entrypoint: docker run --entrypoint dotnet gpt1cluster /app/gpt1.dll pretrain status …
# Ubuntu 24.04 (noble) has GLIBCXX_3.4.32, so the build's libstdc++ fix is a no-op here.
ARG TORCH_BACKEND=cuda

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG TORCH_BACKEND
WORKDIR /src
COPY . .
# Publishing gpt1 brings gpt1-silo along (Coordinator references the silo host).
RUN dotnet publish Coordinator/Coordinator.csproj -c Release -p:TorchBackend=${TORCH_BACKEND} -o /app

# ASP.NET Core runtime: the silo serves /metrics, /healthz and /ready on Kestrel
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble
WORKDIR /app
COPY --from=build /app .
EXPOSE 11111 30000 9464
ENTRYPOINT ["dotnet", "/app/gpt1-silo.dll"]
