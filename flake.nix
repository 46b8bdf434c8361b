{
  description = "Ferry: a self-hosted build-and-deploy server for Nix";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      # The package (built with Maven), the NixOS modules (nixos/) and the VM test arrive with the
      # "Operating Ferry" step; until then the flake gives a shell with what building and testing need.
      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [ pkgs.jdk21 pkgs.maven pkgs.nix pkgs.caddy pkgs.git ];
          shellHook = ''
            export JAVA_HOME=${pkgs.jdk21}
            export LC_ALL=C.UTF-8
          '';
        };
      });
    };
}
