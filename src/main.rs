fn main() {
    eprintln!("pinn: the command-line interface is not built yet (see issue 4)");
    std::process::exit(2);
}
