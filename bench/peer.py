"""The peer: the LangChain stack Langchain-Chatchat ships (FAISS + BM25Retriever + EnsembleRetriever)
over our chunks, with the model run as LangChain users run it: sentence-transformers on torch."""
from __future__ import annotations

from typing import Any, Sequence


def peer_available() -> str | None:
    """None when the peer's packages import, else what to install."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # langchain-community announces its sunset
            import langchain_community.retrievers  # noqa: F401
        import jieba  # noqa: F401
        import langchain_classic.retrievers  # noqa: F401
        import langchain_community.vectorstores  # noqa: F401
        import rank_bm25  # noqa: F401
    except ImportError as e:
        return f"{e}; pip install -e '.[bench]'"
    return None


def lc_embeddings(model: Any) -> Any:
    """Our Embedder as a LangChain Embeddings: same model, same prompts, same normalisation."""
    from langchain_core.embeddings import Embeddings

    class QAEmbeddings(Embeddings):
        def __init__(self, m: Any) -> None:
            self.m = m
            self.cache: dict[str, list[float]] | None = None  # on only for the bench's "embedding cached" row

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.m.encode_documents(list(texts), batch_size=32).tolist()

        def embed_query(self, text: str) -> list[float]:
            if self.cache is not None and text in self.cache:
                return self.cache[text]
            vec = self.m.encode_queries([text])[0].tolist()
            if self.cache is not None:
                self.cache[text] = vec
            return vec

    return QAEmbeddings(model)


def build_peer(chunks: Sequence[Any], model: Any, k: int = 5, save_dir: str | None = None) -> dict[str, Any]:
    """Langchain-Chatchat's retrieval stack over our chunks: FAISS.from_documents(normalize_L2=True)
    as in its kb_cache, BM25Retriever(preprocess_func=jieba.lcut_for_search) and
    EnsembleRetriever([bm25, faiss], weights=[0.5, 0.5]) as in its ensemble retriever. The dense
    side uses plain similarity search (Chatchat's score threshold only filters)."""
    import jieba
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document as LCDocument

    from qa.chunking import indexable_text

    jieba.setLogLevel(60)
    docs = [LCDocument(page_content=indexable_text(c), metadata={"id": c.id}) for c in chunks]
    embeddings = lc_embeddings(model)
    store = FAISS.from_documents(docs, embeddings, normalize_L2=True)
    if save_dir:
        store.save_local(save_dir)
    dense = store.as_retriever(search_kwargs={"k": k})
    bm25 = BM25Retriever.from_documents(docs, preprocess_func=jieba.lcut_for_search)
    bm25.k = k
    hybrid = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])
    return {"bm25": bm25, "dense": dense, "hybrid": hybrid, "store": store, "embeddings": embeddings}


def peer_ids(docs: Sequence[Any], k: int = 5) -> list[str]:
    return [d.metadata.get("id") for d in list(docs)[:k]]


