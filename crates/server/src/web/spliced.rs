//! A response body of a few ready pieces sent one after another, with its exact length (so it
//! goes out with `Content-Length`, not chunked). The label page is its kept shell around a
//! fresh scan line; gluing them into one string copied the whole page on every scan.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};

/// Pieces sent in order.
#[derive(Debug)]
pub struct Spliced {
    pieces: Vec<Bytes>,
    next: usize,
}

impl Spliced {
    /// A body of `pieces`, in order.
    pub fn new(pieces: Vec<Bytes>) -> Self {
        Self { pieces, next: 0 }
    }

    fn remaining(&self) -> u64 {
        self.pieces[self.next.min(self.pieces.len())..]
            .iter()
            .map(|p| p.len() as u64)
            .sum()
    }
}

impl Body for Spliced {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        while self.next < self.pieces.len() {
            let i = self.next;
            self.next += 1;
            let piece = std::mem::take(&mut self.pieces[i]);
            if !piece.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(piece))));
            }
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.remaining() == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn the_pieces_arrive_whole_in_order_with_their_exact_length() {
        let body = Spliced::new(vec![Bytes::from("<p>"), Bytes::new(), Bytes::from("quét 3 lần</p>")]);
        assert_eq!(body.size_hint().exact(), Some(3 + "quét 3 lần</p>".len() as u64));
        let collected = body.collect().await.map(|c| c.to_bytes());
        assert_eq!(collected.ok().as_deref(), Some("<p>quét 3 lần</p>".as_bytes()));
    }
}
