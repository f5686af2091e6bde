# The gpt1 image. CUDA by default (TorchSharp-cuda-linux ships libtorch with the CUDA, cuBLAS and
# cuDNN libraries it needs; the NVIDIA driver comes from the node via the NVIDIA container toolkit).
#   docker build -t gpt1cluster .                               # CUDA
#   docker build -t gpt1cluster --build-arg TORCH_BACKEND=cpu . # CPU only
# Ubuntu 24.04 (noble) has GLIBCXX_3.4.32, so the build's libstdc++ fix is a no-op here.
ARG TORCH_BACKEND=cuda

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
ARG TORCH_BACKEND
WORKDIR /src
COPY . .
RUN dotnet publish Coordinator/Coordinator.csproj -c Release -p:TorchBackend=${TORCH_BACKEND} -o /app

FROM mcr.microsoft.com/dotnet/runtime:10.0-noble
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["dotnet", "/app/gpt1.dll"]
