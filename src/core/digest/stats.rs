//! The participation curve: how much of what is posted comes from the most active posters.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Participation {
    pub posters: usize,
    pub posts: i64,
    /// Share of posts written by the top 1% of posters (at least one poster).
    pub top1_share: f64,
    pub top10_share: f64,
}

/// From each poster's number of posts.
pub fn participation(mut per_author: Vec<i64>) -> Participation {
    per_author.sort_unstable_by(|a, b| b.cmp(a));
    let posts: i64 = per_author.iter().sum();
    let share = |pct: usize| {
        if posts == 0 {
            return 0.0;
        }
        let n = (per_author.len() * pct).div_ceil(100).max(1);
        per_author.iter().take(n).sum::<i64>() as f64 / posts as f64
    };
    Participation {
        posters: per_author.len(),
        posts,
        top1_share: share(1),
        top10_share: share(10),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shares() {
        let mut v = vec![1; 99];
        v.push(101);
        let p = super::participation(v);
        assert_eq!((p.posters, p.posts), (100, 200));
        assert!((p.top1_share - 0.505).abs() < 1e-9);
        assert!((p.top10_share - 0.55).abs() < 1e-9);
        assert_eq!(super::participation(vec![]).top1_share, 0.0);
    }
}
