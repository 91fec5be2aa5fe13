use clap::Parser;

fn main() {
    let cli = pinn::cli::Cli::parse();
    std::process::exit(pinn::cli::run(cli));
}
