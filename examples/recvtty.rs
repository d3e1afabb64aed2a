//! A console-socket receiver for the tests (runc's `recvtty`, in small):
//! `recvtty SOCKET` listens on the unix socket SOCKET, takes one connection,
//! receives the pty master (SCM_RIGHTS, with its name as data, runc's
//! protocol), prints `name=NAME`, then copies everything the container
//! writes to its terminal to stdout until the last slave closes.
//! `recvtty SOCKET INPUT` also writes INPUT to the terminal first.

use rustix::fd::OwnedFd;
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SocketAddrUnix, SocketType,
};
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: recvtty SOCKET [INPUT]");
        std::process::exit(2);
    };
    let _ = std::fs::remove_file(path);
    let sock = rustix::net::socket(AddressFamily::UNIX, SocketType::STREAM, None).expect("socket");
    let addr = SocketAddrUnix::new(path.as_str()).expect("socket path");
    rustix::net::bind(&sock, &addr).expect("bind");
    rustix::net::listen(&sock, 1).expect("listen");
    let conn = rustix::net::accept(&sock).expect("accept");
    let mut name = [0u8; 4096];
    let mut space = [core::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut cmsg = RecvAncillaryBuffer::new(&mut space);
    let mut iov = [rustix::io::IoSliceMut::new(&mut name)];
    let n = rustix::net::recvmsg(&conn, &mut iov, &mut cmsg, RecvFlags::empty())
        .expect("recvmsg")
        .bytes;
    let mut master: Option<OwnedFd> = None;
    for m in cmsg.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = m {
            for fd in fds {
                master.get_or_insert(fd);
            }
        }
    }
    let Some(master) = master else {
        eprintln!("recvtty: no fd received");
        std::process::exit(1);
    };
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "name={}",
        String::from_utf8_lossy(name.get(..n).unwrap_or(&[]))
    );
    let _ = out.flush();
    if let Some(input) = args.get(2) {
        let _ = rustix::io::write(&master, input.as_bytes());
    }
    let mut buf = [0u8; 4096];
    loop {
        match rustix::io::read(&master, &mut buf) {
            Ok(0) | Err(rustix::io::Errno::IO) => break,
            Ok(k) => {
                let _ = out.write_all(buf.get(..k).unwrap_or(&[]));
                let _ = out.flush();
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => {
                eprintln!("recvtty: read: {e}");
                std::process::exit(1);
            }
        }
    }
}
